# expect: 8: sla.availability must be more than 0% and at most 100%
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  sla {
    availability = "120%"
  }
}
