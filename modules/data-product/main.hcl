# A product version with its schema and grants, and its Glue table in the domain's catalog
# database (the one modules/domain-baseline declares, which leaves this product's table to
# this module).

data_product "this" {
  name        = var.name
  domain      = var.domain
  version     = var.version
  kind        = var.kind
  description = var.description
  topic {
    partitions = var.partitions
    config     = var.topic_config
  }
  schema {
    type          = var.schema_type
    file          = var.schema_file
    compatibility = var.compatibility
  }
}

# One grant per reading domain, named after the product version and the reader.
access "readers" {
  for_each = var.readers
  name     = "${var.domain}-${var.name}-v${var.version}-${each.key}"
  product  = "${var.domain}.${var.name}.v${var.version}"
  consumer = each.key
}

locals {
  product  = mesh.products["${var.domain}.${var.name}.v${var.version}"]
  owner    = mesh.domains[var.domain]
  database = replace("${var.glue_database_prefix}-${local.owner.slug}", "-", "_")
}

resource "aws_glue_table" "catalog" {
  database    = local.database
  name        = replace("${var.name}_v${var.version}", "-", "_")
  domain      = var.domain
  description = var.description
  parameters  = {
    "meshctl:product"     = local.product.key
    "meshctl:version"     = tostring(var.version)
    "meshctl:kind"        = var.kind
    "meshctl:topic"       = local.product.topic
    "meshctl:schema_type" = local.product.schema_type
    "meshctl:subject"     = local.product.value_subject
    "meshctl:owner"       = local.owner.accountable
    "meshctl:readers"     = join(",", var.readers)
  }
}

output "topic" {
  value = local.product.topic
}

output "glue_table" {
  value = "${local.database}.${replace("${var.name}_v${var.version}", "-", "_")}"
}
