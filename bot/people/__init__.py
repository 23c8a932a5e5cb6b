"""People and their time: personal working hours, absences and deputies (who stands in)."""
