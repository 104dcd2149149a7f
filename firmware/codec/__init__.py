# ISO 8583 on the wire: field table (fields), pack/unpack (iso8583), LEN+TPDU+header (frame).
