# expect: 8: wrong type for 'partitions' in topic: got string 'many'
domain "sales" {
  owners { accountable = "a@acme.example" }
}
data_product "orders" {
  domain = "sales"
  topic {
    partitions = "many"
  }
}
