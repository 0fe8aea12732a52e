"""Small built-in word lists for widget text; the seeded RNG picks from them."""

from __future__ import annotations

CITIES = ("Lisbon", "Oslo", "Kyoto", "Austin", "Cape Town", "Vancouver", "Seoul", "Madrid", "Nairobi",
          "Melbourne", "Reykjavik", "Denver", "Porto", "Berlin", "Istanbul", "Lima", "Toronto", "Dublin",
          "San Diego", "Singapore", "Prague", "Chicago", "Hanoi", "Zurich")
CONDITIONS = (("Sunny", "sun"), ("Partly Cloudy", "cloud-sun"), ("Cloudy", "cloud"), ("Light Rain", "cloud-rain"),
              ("Showers", "cloud-rain"), ("Snow", "cloud-snow"), ("Clear", "moon"), ("Windy", "wind"))
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
FIRST_NAMES = ("Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Priya", "Lucas", "Amara", "Kenji", "Sofia",
               "Omar", "Elena", "Mateo", "Hana", "Jonas", "Chloe", "Ravi", "Nina", "Diego", "Leah", "Felix")
LAST_NAMES = ("Chen", "Okafor", "Silva", "Novak", "Tanaka", "Garcia", "Müller", "Haddad", "Kim", "Rossi",
              "Larsen", "Patel", "Dubois", "Mendes", "Kowalski", "Ahmed", "Nguyen", "Walsh")
ROLES = ("Product Designer", "iOS Engineer", "Data Scientist", "Marketing Lead", "Photographer",
         "Frontend Developer", "Founder", "UX Researcher", "Illustrator", "Product Manager")
SKILLS = ("Figma", "React", "Python", "Motion", "Branding", "SQL", "Swift", "Research", "Writing", "Rust")
SONGS = ("Midnight City", "Golden Hour", "Ocean Eyes", "Paper Planes", "Neon Lights", "Slow Burn",
         "Northern Sky", "Blue Velvet", "Daydreamer", "Wildfire", "Silver Lining", "After Dark", "Moonrise",
         "Electric Feel", "Low Tide", "Satellite")
ARTISTS = ("The Midnight", "Luna Bay", "Arctic Pines", "Nova Vega", "Echo Park", "Mira Sol", "Glass Animals",
           "Odesza", "Parcels", "Khruangbin", "Tycho", "Bonobo")
ALBUMS = ("Endless Summer", "Night Drive", "Coastlines", "Afterglow", "Horizons", "Lost in Color")
TASKS = ("Review pull request", "Book dentist", "Buy groceries", "Call mom", "Finish slides", "Pay rent",
         "Water plants", "Plan sprint", "Reply to Sarah", "Gym at 6pm", "Update resume", "Order new lamp",
         "Write blog post", "Renew passport", "Clean the garage", "Prep Monday demo")
EVENTS = ("Design review", "Team standup", "Lunch with Alex", "Yoga class", "1:1 with Priya", "Dentist",
          "Product demo", "Flight to Oslo", "Coffee chat", "Quarterly planning", "Piano lesson", "Board meeting")
PLACES = ("Room 4B", "Zoom", "Cafe Lumen", "Studio 2", "Main office", "Terminal 3", "Online")
HEADLINES = ("Markets rally as inflation cools", "New telescope spots distant galaxy",
             "City unveils plan for car-free center", "Startups bet big on tiny AI models",
             "Record heat expected this weekend", "Local team clinches title in overtime",
             "Scientists map the ocean floor in 3D", "Electric ferries launch on the bay",
             "Study links sleep to better memory", "Chipmakers race to build new fabs",
             "Museum reopens after two-year renovation", "Rail strike ends with new deal")
SOURCES = ("The Verge", "Reuters", "BBC News", "Wired", "Bloomberg", "The Guardian", "TechCrunch", "AP News")
NEWS_TAGS = ("Tech", "Science", "Business", "Sports", "World", "Climate", "Culture")
APPS = (("Messages", "message"), ("Mail", "mail"), ("Calendar", "calendar"), ("Reminders", "bell"),
        ("Security", "shield"), ("Health", "heart"), ("Music", "music"), ("Bank", "dollar"))
NOTIFICATION_TEXT = ("Your package has been delivered", "Meeting starts in 10 minutes",
                     "New login from Chrome on Mac", "You reached your step goal", "Payment of $42.50 received",
                     "Can we move the call to 3pm?", "Your weekly report is ready", "Flight UA 218 is on time",
                     "Backup completed successfully", "Don't forget to stretch")
CHAT_LINES = ("Are we still on for tonight?", "Sounds good to me!", "Just landed, see you soon",
              "Can you send the file?", "Haha that's amazing", "On my way", "Let's grab lunch tomorrow",
              "I pushed the fix", "Thanks for the help!", "Running 5 min late", "Did you see the game?",
              "Love it, ship it")
TICKERS = (("AAPL", "Apple Inc."), ("MSFT", "Microsoft"), ("NVDA", "NVIDIA"), ("TSLA", "Tesla"),
           ("AMZN", "Amazon"), ("GOOGL", "Alphabet"), ("META", "Meta"), ("NFLX", "Netflix"), ("BTC", "Bitcoin"),
           ("ETH", "Ethereum"), ("SHOP", "Shopify"), ("AMD", "AMD"))
KPIS = (("Revenue", "$", ""), ("Active users", "", ""), ("Orders", "", ""), ("Conversion", "", "%"),
        ("Sessions", "", ""), ("Avg. order", "$", ""), ("Signups", "", ""), ("Churn", "", "%"),
        ("MRR", "$", ""), ("Page views", "", ""))
PROJECTS = ("Website redesign", "Mobile app v2", "Q3 report", "Onboarding flow", "Data migration",
            "Brand refresh", "API docs", "Holiday campaign")
FILES = ("design-final.fig", "report_q3.pdf", "photos.zip", "demo.mp4", "invoice-042.pdf", "dataset.csv")
COUNTDOWN_EVENTS = ("Summer Trip", "Product Launch", "Wedding Day", "Marathon", "New Year", "Concert",
                    "Birthday", "Graduation", "Conference", "Vacation")
SEARCHES = ("weekend hikes", "best ramen near me", "flights to Tokyo", "react hooks", "cozy sweaters",
            "standing desk", "vegan recipes", "running shoes", "jazz playlists", "budget template")
PLANS = ("Starter", "Pro", "Team", "Business", "Premium", "Plus")
FEATURES = ("Unlimited projects", "Priority support", "Custom domains", "Advanced analytics", "50 GB storage",
            "Team collaboration", "API access", "Daily backups", "SSO and SAML", "Version history")
BRANDS = ("Acme", "Nimbus", "Orbit", "Lumen", "Pulse", "Vertex", "Kite", "Harbor")
SETTINGS = (("Wi-Fi", "wifi"), ("Bluetooth", "bluetooth"), ("Notifications", "bell"), ("Dark Mode", "moon"),
            ("Location", "map-pin"), ("Airplane Mode", "plane"), ("Privacy", "shield"), ("Sounds", "volume"),
            ("Focus", "moon-star"), ("Display", "sun-dim"))
DEVICES = (("iPhone", "phone"), ("Watch", "watch"), ("AirPods", "headphones"), ("MacBook", "laptop"),
           ("Pixel", "phone"), ("Galaxy Buds", "headphones"))
