# expect: 8: delivery.duplicates must be one of tolerated, not_tolerated
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  delivery {
    duplicates = "banana"
  }
}
