# expect: 8: delivery.ordering must be one of per_key, none
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  delivery {
    ordering = "total"
  }
}
