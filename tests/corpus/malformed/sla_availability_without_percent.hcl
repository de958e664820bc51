# expect: 8: invalid sla.availability: not a percentage
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  sla {
    availability = "99.9"
  }
}
