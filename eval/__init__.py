"""Gold question set and the regression evaluation runner."""
