locals {
  # A domain's policy may change these defaults: policy { baseline = { versioning = false } }
  versioning  = lookup(var.domain.baseline, "versioning", var.versioning)
  bucket_tags = lookup(var.domain.baseline, "bucket_tags", {})
  account     = mesh.aws.account_id
  region      = mesh.aws.region
  slug        = var.domain.slug
  name        = "${var.bucket_prefix}-${local.slug}"
  bucket      = local.name
  role        = local.name
  role_arn    = "arn:aws:iam::${local.account}:role/${local.role}"
  database    = replace(local.name, "-", "_")
  secret      = var.domain.kafka_secret
  trusted     = var.trusted_principal != "" ? var.trusted_principal : "arn:aws:iam::${local.account}:root"
  tags        = {
    "meshctl:domain"      = var.domain.path
    "meshctl:accountable" = var.domain.accountable
    "managed-by"          = "meshctl"
  }
}

# The domain's data: encrypted, never public, and only the domain's role (and its
# integrations' roles) may use it. meshctl adds the deploying principals (aws.deployer_arns,
# else the caller) to every Deny, so it can still read and change what it manages.
resource "aws_s3_bucket" "data" {
  bucket              = local.bucket
  domain              = var.domain.name
  encryption          = "AES256"
  block_public_access = true
  versioning          = local.versioning
  tags                = merge(local.tags, local.bucket_tags)
  policy              = {
    Version   = "2012-10-17"
    Statement = [
      {
        Sid       = "OnlyTheDomainRole"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:aws:s3:::${local.bucket}", "arn:aws:s3:::${local.bucket}/*"]
        Condition = {
          StringNotLike = {
            "aws:PrincipalArn" = [local.role_arn, "arn:aws:iam::${local.account}:role/${local.name}.*"]
          }
        }
      },
      {
        Sid       = "TlsOnly"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = ["arn:aws:s3:::${local.bucket}", "arn:aws:s3:::${local.bucket}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  }
}

# The domain's role: its bucket, its Glue database, its own secret, nothing else.
resource "aws_iam_role" "domain" {
  name               = local.role
  domain             = var.domain.name
  description        = "Data mesh domain ${var.domain.path}"
  tags               = local.tags
  assume_role_policy = {
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = local.trusted }, Action = "sts:AssumeRole" }]
  }
  inline_policies    = merge({
      data        = {
        Version   = "2012-10-17"
        Statement = [
          { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::${local.bucket}" },
          {
            Effect   = "Allow"
            Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
            Resource = "arn:aws:s3:::${local.bucket}/*"
          },
        ]
      }
      catalog     = {
        Version   = "2012-10-17"
        Statement = [{
            Effect   = "Allow"
            Action   = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"]
            Resource = [
              "arn:aws:glue:${local.region}:${local.account}:catalog",
              "arn:aws:glue:${local.region}:${local.account}:database/${local.database}",
              "arn:aws:glue:${local.region}:${local.account}:table/${local.database}/*",
            ]
        }]
      }
      credentials = {
        Version   = "2012-10-17"
        Statement = [{
            Effect   = "Allow"
            Action   = "secretsmanager:GetSecretValue"
            # Secrets Manager appends "-" and 6 characters to the name: "-??????" matches this
            # secret only, never meshctl/kafka/<name>-<integration> or meshctl/kafka/<name>ops.
            Resource = "arn:aws:secretsmanager:${local.region}:${local.account}:secret:${local.secret}-??????"
        }]
      }
    }, length(var.domain.kafka_secrets_elsewhere) == 0 ? {} : {
      # Its passwords on the other clusters where it owns products (meshctl/kafka/@eu/<name>).
      credentials_elsewhere = {
        Version   = "2012-10-17"
        Statement = [{
            Effect   = "Allow"
            Action   = "secretsmanager:GetSecretValue"
            Resource = [
              for s in values(var.domain.kafka_secrets_elsewhere) :
              "arn:aws:secretsmanager:${local.region}:${local.account}:secret:${s}-??????"
            ]
        }]
      }
  })
}

# The catalog: one database per domain, one table per product version, discoverable from AWS.
resource "aws_glue_database" "catalog" {
  name        = local.database
  domain      = var.domain.name
  description = var.domain.description
  parameters  = {
    domain      = var.domain.path
    accountable = var.domain.accountable
    responsible = join(",", var.domain.responsible)
  }
}

resource "aws_glue_table" "product" {
  # A product a module declares (modules/data-product) has its catalog entry from that module.
  for_each    = { for p in var.domain.products : "${p.name}_v${p.version}" => p if p.module == "" }
  database    = local.database
  name        = replace("${each.value.name}_v${each.value.version}", "-", "_")
  domain      = var.domain.name
  description = each.value.description
  parameters  = {
    "meshctl:product"     = each.value.key
    "meshctl:version"     = tostring(each.value.version)
    "meshctl:kind"        = each.value.kind
    "meshctl:topic"       = each.value.topic
    "meshctl:schema_type" = each.value.schema_type
    "meshctl:subject"     = each.value.value_subject
    "meshctl:owner"       = var.domain.accountable
    "meshctl:sla"         = jsonencode(each.value.sla)
    "meshctl:delivery"    = jsonencode(each.value.delivery)
    "meshctl:lifecycle"   = jsonencode(each.value.lifecycle)
  }
}

# The domain principal's Kafka credentials: meshctl writes the value; only the role (and the
# deployer) reads it.
locals {
  secret_policy = {
    Version   = "2012-10-17"
    Statement = [{
        Sid       = "OnlyTheDomainRole"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = "*"
        Condition = { ArnNotEquals = { "aws:PrincipalArn" = [local.role_arn] } }
    }]
  }
}

resource "aws_secretsmanager_secret" "kafka" {
  name        = local.secret
  domain      = var.domain.name
  description = "Kafka credentials of User:${var.domain.name}, managed by meshctl"
  tags        = local.tags
  policy      = local.secret_policy
}

# The same principal's passwords on the other clusters where the domain owns products, read
# only by the role as well.
resource "aws_secretsmanager_secret" "kafka_elsewhere" {
  for_each    = var.domain.kafka_secrets_elsewhere
  name        = each.value
  domain      = var.domain.name
  description = "Kafka credentials of User:${var.domain.name} on cluster ${each.key}, managed by meshctl"
  tags        = local.tags
  policy      = local.secret_policy
}

output "bucket" {
  value = local.bucket
}

output "role_arn" {
  value = local.role_arn
}

output "database" {
  value = local.database
}
