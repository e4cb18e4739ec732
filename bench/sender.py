"""The sender identity and public address that production settings require (CASL), for benchmarks."""

SENDER_ENV = {
    "CRM_MAIL_FROM": "Maple Route Immigration <hello@maple-route.example>",
    "CRM_BUSINESS_NAME": "Maple Route Immigration",
    "CRM_BUSINESS_ADDRESS": "100 King Street West, Toronto ON M5X 1A9, Canada",
    "CRM_BUSINESS_CONTACT": "+1 416 555 0100",
    "CRM_BASE_URL": "https://crm.maple-route.example",
}
