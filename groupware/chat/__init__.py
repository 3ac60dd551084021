"""Business chat (ビジネスチャット) of the council: channels, threads, mentions, attachments, read receipts, live
delivery over WebSocket (rules: docs/domain/chat.md)."""
