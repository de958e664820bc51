# expect: 15: duplicate access "analytics_orders"
domain "sales" {
  owners { accountable = "s@acme.example" }
}
domain "analytics" {
  owners { accountable = "a@acme.example" }
}
data_product "orders" {
  domain = "sales"
}
access "analytics_orders" {
  product  = "sales.orders"
  consumer = "analytics"
}
access "analytics_orders" {
  product  = "sales.orders"
  consumer = "sales"
}
