"""People and their time: personal working hours, absences, who stands in."""
