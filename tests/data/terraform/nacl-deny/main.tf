# partly-private: a deny rule ahead of the default ACL's allow-all, on HTTPS out.
resource "aws_network_acl_rule" "no_https_out" {
  network_acl_id = "acl-0297ca6a3b798d13b"
  rule_number    = 50
  egress         = true
  protocol       = "tcp"
  rule_action    = "deny"
  cidr_block     = "0.0.0.0/0"
  from_port      = 443
  to_port        = 443
}
