# expect: 8: a fat_object product needs a key schema
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "customers" {
  domain = "sales"
  kind   = "fat_object"
  schema {
    file = "customers.avsc"
  }
}
