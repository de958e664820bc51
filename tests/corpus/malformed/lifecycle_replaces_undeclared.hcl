# expect: 9: replaces names version 7 of sales.orders, which is not declared
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain  = "sales"
  version = 8
  lifecycle {
    replaces = 7
  }
}
