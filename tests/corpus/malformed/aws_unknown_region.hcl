# expect: 3: unknown AWS region 'europe-1'
aws {
  region = "europe-1"
}
