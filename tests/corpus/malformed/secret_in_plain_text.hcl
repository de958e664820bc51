# expect: 4: sasl_password is written in the file as plain text
kafka {
  sasl_username = "admin"
  sasl_password = "hunter2"
}
