# expect: 13: access "billing_writes_orders" asks for mode "write": only the owning domain may write a product
domain "sales" {
  owners { accountable = "s@acme.example" }
}
domain "billing" {
  owners { accountable = "b@acme.example" }
}
data_product "orders" { domain = "sales" }
access "billing_writes_orders" {
  product  = "sales.orders"
  consumer = "billing"

  mode = "write"
}
