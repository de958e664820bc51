# expect: 11: duplicate data product version: sales.orders v2
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 2
}
data_product "orders" {
  domain  = "sales"
  version = 2
}
