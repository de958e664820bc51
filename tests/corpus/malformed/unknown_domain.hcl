# expect: 3: data_product "orders" names an unknown domain "sale"
data_product "orders" {
  domain = "sale"
}
domain "sales" {
  owners { accountable = "a@acme.example" }
}
