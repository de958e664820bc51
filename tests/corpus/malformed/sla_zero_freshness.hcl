# expect: 7: sla.freshness must be more than 0s
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  sla { freshness = "0s" }
}
