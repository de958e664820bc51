# expect: 10: access "a" names an unknown data product "sales.order"
domain "sales" {
  owners { accountable = "s@acme.example" }
}
domain "analytics" {
  owners { accountable = "a@acme.example" }
}
data_product "orders" { domain = "sales" }
access "a" {
  product  = "sales.order"
  consumer = "analytics"
}
