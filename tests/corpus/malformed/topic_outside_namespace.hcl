# expect: 7: topic "billing.orders" is outside domain "sales"'s namespace
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  topic { name = "billing.orders" }
}
