# expect: 7: no schema file 'schemas/nope.avsc'
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  schema { file = "schemas/nope.avsc" }
}
