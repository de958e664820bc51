# expect: 5: missing required attribute 'domain' in data_product "orders"
domain "sales" {
  owners { accountable = "a@acme.example" }
}
data_product "orders" {
  version = 1
}
