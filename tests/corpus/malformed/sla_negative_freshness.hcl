# expect: 8: invalid sla.freshness
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  sla {
    freshness = "-5m"
  }
}
