# Applications: each program of a domain gets its own principal (User:<domain>-<app>) and
# exactly the ACLs its kind needs. `meshctl client-config sales.checkout --format librdkafka`
# prints its client settings (the password is referenced, never written).

# The only writer of sales.orders (both live versions): the domain principal keeps reading
# but no longer writes them. Transactional: it may use transactional ids txn.sales-checkout.*.
application "checkout" {
  domain        = "sales"
  kind          = "producer"
  description   = "Places orders from the web shop"
  transactional = true
  writes        = ["orders"]
}

# A Kafka Streams app (application.id shipping-eta.streams): it creates its own changelog
# and repartition topics under shipping-eta., which meshctl never deletes or reports as drift.
application "eta" {
  domain        = "shipping"
  kind          = "streams"
  description   = "Predicts delivery dates from orders and shipments"
  transactional = true # processing.guarantee = exactly_once_v2
  reads         = ["sales.orders.v2"]
  writes        = ["shipments"]
}

# Reads a subset of what analytics is granted; its groups start grp.analytics-dashboard.
application "dashboard" {
  domain      = "analytics"
  kind        = "consumer"
  description = "The company dashboard's live tiles"
  reads       = ["sales.orders", "shipping.shipments"]
}
