"""Who is told of a change, the reminders, and the outbox worker that sends the mail."""
