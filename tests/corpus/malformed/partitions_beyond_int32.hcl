# expect: 8: partitions must be at most 2147483647
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  topic {
    partitions = 99999999999
  }
}
