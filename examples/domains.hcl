# The domain tree. Namespaces follow it: topics of "sales" start with "commerce.sales.".

domain "commerce" {
  description = "Everything customers buy"
  owners {
    accountable = "head-of-commerce@acme.example"
    responsible = "team-commerce"
    consulted   = ["data-governance"]
    informed    = ["analytics"]
  }
  # Inherited by sales and payments: a child may tighten these, not loosen them.
  policy {
    min_replication_factor = var.replication_factor
    max_retention          = "30d"
    max_partitions         = 24
    # A copy of a product between two domains of commerce needs the consent of commerce's
    # accountable or responsible owners, the nearest common ancestor (governance.hcl).
    require_approval       = ["copy"]
  }
}

domain "sales" {
  parent      = "commerce"
  description = "Orders and the customers who place them"
  owners {
    accountable = "sales-lead@acme.example"
    responsible = "team-sales"
  }
}

domain "payments" {
  parent      = "commerce"
  description = "Money in and money out"
  owners {
    accountable = "payments-lead@acme.example"
    responsible = ["team-payments", "team-risk"]
    consulted   = ["finance"]
  }
  policy {
    max_retention = "14d" # tighter than commerce's 30d: allowed
  }
}

domain "logistics" {
  description = "Getting goods to customers"
  owners {
    accountable = "head-of-logistics@acme.example"
    responsible = "team-logistics"
  }
}

domain "shipping" {
  parent      = "logistics"
  description = "Parcels, carriers and delivery events"
  owners {
    accountable = "shipping-lead@acme.example"
    responsible = "team-shipping"
    informed    = ["customer-care"]
  }
}

domain "analytics" {
  description = "Company-wide reporting; consumes, publishes little"
  owners {
    accountable = "head-of-data@acme.example"
    responsible = "team-bi"
  }
  policy {
    allowed_vendors = ["snowflake", "kafka-connect"]
  }
}
