# expect: 9: invalid delivery.out_of_order_window
domain "sales" {
  owners { accountable = "s@acme.example" }
}
data_product "orders" {
  domain = "sales"
  delivery {
    duplicates          = "tolerated"
    out_of_order_window = "banana"
  }
}
