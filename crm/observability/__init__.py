"""Operations: structured logs with request and lead ids, Prometheus metrics read from the database."""
