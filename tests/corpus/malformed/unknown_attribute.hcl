# expect: 4: unknown attribute 'partitons' in topic
data_product "orders" {
  domain = "sales"
  topic { partitons = 3 }
}
