"""The gRPC face of the talent service: decode, authorize, call domain and store, encode."""
