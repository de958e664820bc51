# Data products: one topic per version, named <domain path>.<product>.v<version>.

data_product "orders" {
  domain      = "sales"
  version     = 1
  kind        = "events"
  description = "Every order placed, as it happens"
  topic {
    partitions = 6
    config     = {
      "retention.ms"        = local.retention.long
      "min.insync.replicas" = "1"
    }
  }
  delivery {
    duplicates          = "tolerated"
    out_of_order_window = "30s"
  }
  sla {
    freshness = "5m"
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
}

data_product "transactions" {
  domain      = "payments"
  version     = 1
  description = "Card and wallet transactions"
  topic {
    partitions = 6
    config     = { "retention.ms" = local.retention.long }
  }
  sla {
    freshness = "1m"
  }
}

data_product "refunds" {
  domain      = "payments"
  version     = 1
  description = "Refunds issued"
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
}
