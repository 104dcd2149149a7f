"""Device-side cryptography: DES/3DES, the UnionPay MAC and working-key handling."""
