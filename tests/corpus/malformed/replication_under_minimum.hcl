# expect: 15: replication_factor 2 is under the minimum 3
domain "commerce" {
  owners { accountable = "c@acme.example" }
  policy { min_replication_factor = 3 }
}
domain "sales" {
  parent = "commerce"
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  topic {
    partitions = 3

    replication_factor = 2
  }
}
