"""The admin area: org admins and staff see, fix and measure exports without a console."""
