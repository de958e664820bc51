# expect: 2: unknown block type 'domian'
domian "sales" {
}
