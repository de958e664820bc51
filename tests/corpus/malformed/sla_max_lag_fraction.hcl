# expect: 8: sla.max_lag must be a whole number of records, 0 or more
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  sla {
    max_lag = 2.5
  }
}
