# Data products: one topic per version, named <domain path>.<product>.v<version>, and a
# schema subject <topic>-value (plus <topic>-key for keyed products).

data_product "orders" {
  domain      = "sales"
  version     = 1
  kind        = "events"
  description = "Every order placed, as it happens (amount in EUR)"
  topic {
    partitions = 6
    config     = {
      "retention.ms"        = local.retention.long
      "min.insync.replicas" = "1"
    }
  }
  schema {
    type          = "AVRO"
    file          = "schemas/orders-v1.avsc"
    compatibility = "BACKWARD"
  }
  delivery {
    duplicates          = "tolerated"
    out_of_order_window = "30s"
  }
  sla {
    freshness = "5m"
  }
}

# Version 2 changes what amount means (minor units plus a currency): a breaking change,
# so it is a new version. Both stay live, and every consumer of sales.orders may read
# both, until the sunset; then v1 is frozen and, once nobody reads it, retired.
data_product "orders" {
  domain      = "sales"
  version     = 2
  kind        = "events"
  description = "Every order placed, as it happens (amount in minor units, with currency)"
  topic {
    partitions = var.orders_partitions # 12 in prod (environments.hcl)
    config     = {
      "retention.ms"        = local.retention.long
      "min.insync.replicas" = "1"
    }
  }
  schema {
    type          = "AVRO"
    file          = "schemas/orders-v2.avsc"
    compatibility = "BACKWARD"
  }
  delivery {
    duplicates          = "tolerated"
    out_of_order_window = "30s"
  }
  sla {
    freshness = "5m"
  }
  versioning {
    replaces   = 1
    deprecated = "2026-12-15"
    sunset     = "2027-03-01"
  }
}

data_product "customers" {
  domain      = "sales"
  version     = 1
  kind        = "fat_object" # compacted: the latest state of each customer, keyed by id
  description = "The current state of every customer"
  topic {
    partitions = 3
    config     = {
      "min.compaction.lag.ms" = "60000"
    }
  }
  schema {
    type          = "AVRO"
    file          = "schemas/customers-v1.avsc"
    key_file      = "schemas/customer-key.avsc"
    compatibility = "FULL"
  }
}

data_product "transactions" {
  domain      = "payments"
  version     = 1
  description = "Card and wallet transactions"
  topic {
    partitions = 6
    config     = { "retention.ms" = local.retention.long }
  }
  schema {
    type          = "JSON"
    file          = "schemas/transactions-v1.json"
    compatibility = "BACKWARD"
  }
  sla {
    freshness = "1m"
  }
  # Off the happy path (duplicates tolerated): justified by exception "ledger_exactly_once".
  delivery {
    duplicates = "not_tolerated"
  }
}

# Still being built: only in dev until it is promoted (add "prod" to environments).
data_product "refunds" {
  domain       = "payments"
  version      = 1
  description  = "Refunds issued"
  environments = ["dev"]
  topic {
    partitions = 3
    config     = { "retention.ms" = local.retention.short }
  }
}

data_product "shipments" {
  domain      = "shipping"
  version     = 1
  description = "Parcel status changes from every carrier"
  topic {
    partitions = 6
  }
  schema {
    type          = "PROTOBUF"
    file          = "schemas/shipments-v1.proto"
    compatibility = "BACKWARD"
  }
  delivery {
    duplicates          = "tolerated"
    out_of_order_window = "5m"
  }
}

data_product "warehouses" {
  domain      = "logistics"
  version     = 1
  kind        = "fat_object"
  description = "Warehouses with their capacity and opening hours"
  schema {
    file     = "schemas/warehouses-v1.avsc"
    key_file = "schemas/warehouse-key.avsc"
  }
}
