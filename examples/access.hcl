# Who reads what. Grants are read-only: only a product's domain writes its topic.

access "analytics_reads_orders" {
  product  = "sales.orders"
  consumer = "analytics"
}

access "analytics_reads_transactions" {
  product  = "payments.transactions"
  consumer = "analytics"
}

access "analytics_reads_shipments" {
  product  = "shipping.shipments"
  consumer = "analytics"
}

access "shipping_reads_orders" {
  product  = "sales.orders"
  consumer = "shipping"
}

access "payments_reads_customers" {
  product  = "sales.customers"
  consumer = "payments"
}

access "shipping_reads_warehouses" {
  product  = "logistics.warehouses"
  consumer = "shipping"
}
