# expect: 8: invalid sla.freshness: a duration needs a unit
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  sla {
    freshness = "300"
  }
}
