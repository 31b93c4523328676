# partly-private: an ssmmessages endpoint without private DNS, answered by a private zone
# whose alias names the endpoint's DNS entry (the hub-and-spoke pattern in one VPC).
resource "aws_vpc_endpoint" "ssmmessages" {
  vpc_id              = "vpc-0348961dbf0c8c606"
  service_name        = "com.amazonaws.us-east-1.ssmmessages"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = ["subnet-0b0ea3510ca08b762", "subnet-076c3e412257b75ea"]
  security_group_ids  = ["sg-070e3c8f814f601d7"]
  private_dns_enabled = false
}

resource "aws_route53_zone" "ssmmessages" {
  name = "ssmmessages.us-east-1.amazonaws.com"
  vpc {
    vpc_id = "vpc-0348961dbf0c8c606"
  }
}

resource "aws_route53_record" "ssmmessages" {
  zone_id = aws_route53_zone.ssmmessages.zone_id
  name    = "ssmmessages.us-east-1.amazonaws.com"
  type    = "A"
  alias {
    name                   = aws_vpc_endpoint.ssmmessages.dns_entry[0].dns_name
    zone_id                = aws_vpc_endpoint.ssmmessages.dns_entry[0].hosted_zone_id
    evaluate_target_health = false
  }
}
