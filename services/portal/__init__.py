"""The judges' portal: a small web application over the competition service's gRPC API."""
