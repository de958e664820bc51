# expect: 14: lifecycle.sunset is not a date
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 1
}
data_product "orders" {
  domain  = "sales"
  version = 2
  lifecycle {
    replaces = 1
    sunset   = "next spring"
  }
}
