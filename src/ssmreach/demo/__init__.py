"""`ssmreach demo`: the whole story on an embedded, offline AWS (moto)."""
