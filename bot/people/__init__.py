"""People and their time: absences and deputies (who is asked while someone is away)."""
