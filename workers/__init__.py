"""Dramatiq workers: the broker set-up and thin actors that call into `crm`."""
