"""Files on tickets that people upload themselves: straight to S3 with pre-signed POSTs, checked again when a ticket
or message names them, and downloaded with pre-signed GETs by whoever reaches the ticket."""
