"""The only package that opens sockets: connections, capture journal, collector, REST client."""
