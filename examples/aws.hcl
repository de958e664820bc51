# The AWS side: every domain gets the paved-path baseline (a bucket, a role, a Glue
# catalog, a secret for its Kafka credentials), and vendors connect through modules,
# each confined to one domain.

variable "aws_account_id" {
  description = "The account the mesh lives in (moto's default in the sandbox)"
  default     = "123456789012"
}

variable "snowflake_iam_user" {
  description = "The AWS principal Snowflake gives for the storage integration"
  default     = "arn:aws:iam::999999999999:user/snowflake-acme"
}

variable "snowflake_external_id" {
  description = "The external id Snowflake presents (DESC INTEGRATION shows it)"
  default     = "ACME_SFCRole=2_example"
}

aws {
  region     = "eu-west-1"
  account_id = var.aws_account_id
}

module "baseline" {
  source   = "domain-baseline"
  for_each = mesh.domains
  domain   = each.value
}

# Snowflake reads the analytics domain's bucket through a storage integration.
integration "snowflake" {
  domain = "analytics"
  vendor = "snowflake"
  source = "snowflake-s3-stage"
  reads  = ["sales.orders", "payments.transactions"]
  inputs = { prefix = "exports/" }
  aws {
    trusted_principal = var.snowflake_iam_user
    external_id       = var.snowflake_external_id
  }
}

# A Kafka Connect S3 sink lands the orders in the analytics bucket, under lake/.
integration "lake" {
  domain = "analytics"
  vendor = "kafka-connect"
  source = "s3-sink"
  reads  = ["sales.orders"]
  aws {
    trusted_principal = "arn:aws:iam::${var.aws_account_id}:role/connect-workers"
    external_id       = "acme-lake"
  }
}
